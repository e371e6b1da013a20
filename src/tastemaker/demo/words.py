"""Words for the demo world: blog-style paragraphs about its artists, for the text model.

Each artist gets a few posts (more for popular artists), dated inside the world's span. A post
names the artist (and often one of its tracks) and describes the music with the descriptors of
the artist's style (adjectives, bigrams, noun phrases; the secondary style's now and then), so
that words and taste are linked as listeners and styles are. Noise is deliberate: filler
sentences every post has, a descriptor from an unrelated style now and then, a share of
misleading posts that describe an artist with another style's words, and posts that discuss two
artists of neighbouring styles together (co-mentions).

    >>> docs = generate_documents(world, seed=0)
    >>> docs[0].keys()
    dict_keys(['id', 'url', 'title', 'text', 'published_at', 'artist'])
"""

from __future__ import annotations

import datetime as dt

import numpy as np

_OPENINGS = ("{artist} are back.", "A few words on {artist}.", "I finally listened to {artist}.",
             "{artist} played a small club last night.", "Everyone keeps asking me about {artist}.")
_DESCRIBE = ("Their music is {adj} and {adj2}, full of {np}.", "Expect {n2} and {np}.",
             "\"{track}\" is {adj}, with {n2} all over it.", "It sounds {adj}: {np} and {n2}.",
             "The new record leans on {np}; {adj} and {adj2} throughout.",
             "Think {n2}, {adj} hooks and {np}.")
_FILLER = ("The album is out now on all platforms.", "Thanks for reading, and share this post.",
           "More reviews next week.", "I have had it on repeat all morning.",
           "Tickets are on sale from Friday.")
_PAIR = "{a} and {b} share a stage this month: {adj} {n2} from one, {np} from the other."


def generate_documents(world, *, seed: int = 0, posts_per_artist: float = 3.0,
                       misleading: float = 0.05, noise: float = 0.15, pairs: float = 0.3) -> list[dict]:
    """Blog posts about the world's artists (see the module docstring), as JSON-ready dicts."""
    rng = np.random.default_rng(seed + 1009)
    styles = {s.name: s for s in world.styles}
    names = list(styles)
    artists = world.artists.reset_index(drop=True)
    titles = world.tracks.groupby("artist_id")["title"].apply(list).to_dict()
    start = dt.datetime.combine(world.params.start, dt.time()) - dt.timedelta(days=365)
    span = (dt.datetime.combine(world.params.end, dt.time()) - start).total_seconds()
    pop = artists["popularity"].to_numpy(dtype=float)
    n_posts = np.clip(rng.poisson(posts_per_artist * np.sqrt(pop / max(pop.mean(), 1e-9))), 1, 12)
    docs: list[dict] = []

    def words(style):
        return {"adj": rng.choice(style.adjectives), "adj2": rng.choice(style.adjectives),
                "n2": rng.choice(style.bigrams), "np": rng.choice(style.noun_phrases)}

    def when() -> str:
        return (start + dt.timedelta(seconds=float(rng.random() * span))).strftime("%Y-%m-%dT%H:%M:%S")

    for i, a in artists.iterrows():
        own = styles[a["style"]]
        second = styles.get(a["secondary_style"]) if isinstance(a["secondary_style"], str) else None
        for k in range(int(n_posts[i])):
            style = own
            if rng.random() < misleading:
                style = styles[names[int(rng.integers(len(names)))]]
            elif second is not None and rng.random() < 0.3:
                style = second
            parts = [str(rng.choice(_OPENINGS)).format(artist=a["name"])]
            for _ in range(int(rng.integers(2, 4))):
                w = words(style)
                if rng.random() < noise:
                    w["adj2"] = rng.choice(styles[names[int(rng.integers(len(names)))]].adjectives)
                track = rng.choice(titles.get(a["artist_id"], [a["name"]]))
                parts.append(str(rng.choice(_DESCRIBE)).format(track=track, **w))
            parts.append(str(rng.choice(_FILLER)))
            docs.append({"id": f"post-{a['artist_id']}-{k}", "url": f"https://demo.blog/{a['artist_id']}/{k}",
                         "title": f"{a['name']}: notes", "text": " ".join(parts), "published_at": when(),
                         "artist": a["name"]})
    sim = np.asarray(world.similarity)
    by_style = artists.groupby("style").indices
    for j in range(int(pairs * len(artists))):
        a = artists.iloc[int(rng.integers(len(artists)))]
        si = names.index(a["style"])
        other_style = names[int(rng.choice(len(names), p=sim[si] / sim[si].sum()))]
        pool = by_style.get(other_style)
        if pool is None or not len(pool):
            continue
        b = artists.iloc[int(rng.choice(pool))]
        if b["artist_id"] == a["artist_id"]:
            continue
        w = words(styles[a["style"]])
        w2 = words(styles[b["style"]])
        text = _PAIR.format(a=a["name"], b=b["name"], adj=w["adj"], n2=w["n2"], np=w2["np"]) + " " + \
            str(rng.choice(_FILLER))
        docs.append({"id": f"pair-{j}", "url": f"https://demo.blog/pairs/{j}", "title": "Double bill",
                     "text": text, "published_at": when()})
    return docs
