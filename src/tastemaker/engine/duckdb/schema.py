"""The warehouse schema as ordered migrations.

Each migration moves the schema from version N-1 to N. Never edit a released migration: append a
new one. `Warehouse.open` applies the missing ones in order inside one transaction.
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "users, artists, tracks, events, interactions, quarantine, playlists, runs",
        """
        CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);

        CREATE TABLE users (
            user_idx INTEGER PRIMARY KEY,      -- dense index used by the models
            user_id VARCHAR NOT NULL UNIQUE    -- the id in the user's own data
        );
        CREATE TABLE artists (
            artist_idx INTEGER PRIMARY KEY,
            artist_id VARCHAR NOT NULL UNIQUE,
            name VARCHAR
        );
        CREATE TABLE tracks (
            track_idx INTEGER PRIMARY KEY,
            track_id VARCHAR NOT NULL UNIQUE,
            title VARCHAR,
            artist_idx INTEGER,
            album VARCHAR,
            duration_ms BIGINT,
            released DATE,
            style VARCHAR,                     -- a genre or, in the demo world, its generating style
            uri VARCHAR,                       -- where the audio lives (used by M3U/XSPF export)
            available BOOLEAN NOT NULL DEFAULT TRUE,
            attrs JSON                         -- anything else the catalogue carried
        );

        CREATE TABLE ingested_files (
            file_id INTEGER PRIMARY KEY,
            path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            target VARCHAR NOT NULL,           -- events | catalog
            ingested_at TIMESTAMP NOT NULL,
            rows_read BIGINT NOT NULL,
            rows_accepted BIGINT NOT NULL,
            rows_quarantined BIGINT NOT NULL
        );
        CREATE TABLE rejected_files (
            path VARCHAR NOT NULL,
            sha256 VARCHAR,
            target VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            rejected_at TIMESTAMP NOT NULL
        );
        CREATE TABLE quarantine (
            file_id INTEGER NOT NULL,
            line BIGINT,                       -- 1-based line (row number for Parquet)
            reason VARCHAR NOT NULL,
            raw VARCHAR                        -- the row as read, for a later fix and re-ingest
        );

        CREATE TABLE events (
            file_id INTEGER NOT NULL,
            line BIGINT NOT NULL,
            user_idx INTEGER NOT NULL,
            track_idx INTEGER,                 -- NULL for an artist-page visit with no track
            artist_idx INTEGER,
            kind VARCHAR NOT NULL,             -- play | save | skip | artist_visit | dislike (from 7)
            ts TIMESTAMP,
            plays INTEGER NOT NULL,            -- how many times (1 for a single event)
            ms_played BIGINT
        );

        CREATE TABLE interactions (
            user_idx INTEGER NOT NULL,
            track_idx INTEGER NOT NULL,
            plays BIGINT NOT NULL,
            short_plays BIGINT NOT NULL,       -- plays under the minimum duration (count as skips)
            ms_played BIGINT,
            saves BIGINT NOT NULL,
            skips BIGINT NOT NULL,
            artist_visits BIGINT NOT NULL,
            first_ts TIMESTAMP,
            last_ts TIMESTAMP
        );

        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,             -- weekly | train | evaluate
            week VARCHAR,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            status VARCHAR NOT NULL,           -- running | done
            model_version VARCHAR,
            params JSON
        );
        CREATE TABLE playlists (
            week VARCHAR NOT NULL,             -- ISO week, e.g. 2026-W48
            user_idx INTEGER NOT NULL,
            position SMALLINT NOT NULL,        -- 1..size
            track_idx INTEGER NOT NULL,
            score REAL,
            source VARCHAR NOT NULL,           -- collaborative | fallback | ...
            reason_track_idx INTEGER,          -- the played track behind the reason, if any
            reason VARCHAR NOT NULL,
            model_version VARCHAR,
            run_id VARCHAR NOT NULL
        );
        CREATE TABLE playlist_staging AS SELECT * FROM playlists WITH NO DATA;
        """,
    ),
    (
        2,
        "artist_tags (user tags on artists, for the text model); dataset_loads",
        """
        CREATE TABLE artist_tags (
            file_id INTEGER NOT NULL,          -- the tag file (ingested_files) and line it came from
            line BIGINT NOT NULL,
            artist_idx INTEGER NOT NULL,
            user_id VARCHAR,                   -- who tagged, as the dataset names them (may not be a listener)
            tag VARCHAR NOT NULL,              -- as written by the tagger
            tagged_at DATE,
            source VARCHAR NOT NULL            -- where the tags come from, e.g. lastfm-hetrec
        );
        CREATE TABLE dataset_loads (
            name VARCHAR NOT NULL,             -- a public dataset loaded by `tastemaker datasets load`
            path VARCHAR NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            rows_read BIGINT NOT NULL,
            rows_accepted BIGINT NOT NULL,
            rows_quarantined BIGINT NOT NULL
        );
        """,
    ),
    (
        3,
        "audio analyses (tastemaker analyze): one row per content hash, one per file path",
        """
        CREATE TABLE audio_analyses (
            content_sha256 VARCHAR PRIMARY KEY,    -- sha256 of the file's bytes: the cache key
            path VARCHAR NOT NULL,                 -- the file last analysed with this content
            track_idx INTEGER,                     -- the catalogue track it was matched to
            analyser_version VARCHAR NOT NULL,
            status VARCHAR NOT NULL,               -- ok | failed
            reason VARCHAR,                        -- why it failed, or notes on a partial analysis
            duration DOUBLE,
            loudness DOUBLE,                       -- integrated, LUFS (ITU-R BS.1770)
            tempo DOUBLE,
            tempo_confidence DOUBLE,
            key SMALLINT,                          -- 0 = C … 11 = B, -1 none
            key_confidence DOUBLE,
            mode SMALLINT,                         -- 1 major, 0 minor, -1 none
            mode_confidence DOUBLE,
            time_signature SMALLINT,
            time_signature_confidence DOUBLE,
            features JSON,                         -- the flat audio-features row
            analysis JSON,                         -- the whole audio-analysis document
            analysed_at TIMESTAMP NOT NULL
        );
        CREATE TABLE audio_files (
            path VARCHAR PRIMARY KEY,              -- every file seen, duplicates included
            stem VARCHAR NOT NULL,                 -- file name without extension
            content_sha256 VARCHAR NOT NULL,
            track_idx INTEGER,
            seen_at TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        4,
        "documents (text about music), their terms and mentions; top terms; co-mentions; crawl state",
        """
        CREATE TABLE documents (
            doc_id BIGINT PRIMARY KEY,
            source VARCHAR NOT NULL,               -- the file, dataset or crawl it came from
            line BIGINT,                           -- line (JSON Lines/CSV) or NULL for a whole file
            kind VARCHAR NOT NULL,                 -- web | text | tags | bio | review | demo
            url VARCHAR,                           -- unique when present (dedupe by URL)
            title VARCHAR,
            text VARCHAR NOT NULL,
            content_sha256 VARCHAR NOT NULL UNIQUE, -- sha256 of the folded text (dedupe by content)
            published_at TIMESTAMP,
            artist_hint VARCHAR,                   -- the artist the document says it is about
            track_hint VARCHAR,
            ingested_at TIMESTAMP NOT NULL,
            analysed_at TIMESTAMP                  -- NULL until terms and mentions are extracted
        );
        CREATE TABLE document_terms (
            doc_id BIGINT NOT NULL,
            kind VARCHAR NOT NULL,                 -- unigram | n2 | np | adj | tag
            term VARCHAR NOT NULL,
            n INTEGER NOT NULL                     -- uses in the document
        );
        CREATE TABLE document_mentions (
            doc_id BIGINT NOT NULL,
            artist_idx INTEGER NOT NULL,
            track_idx INTEGER,                     -- NULL for a mention of the artist
            mentions INTEGER NOT NULL,             -- how many times, with context
            about DOUBLE NOT NULL                  -- share of the document about it (0..1)
        );
        CREATE TABLE terms (
            artist_idx INTEGER NOT NULL,
            track_idx INTEGER,                     -- NULL: the artist's terms
            kind VARCHAR NOT NULL,
            term VARCHAR NOT NULL,
            weight DOUBLE NOT NULL,                -- P(a document about it uses the term) × rarity
            probability DOUBLE NOT NULL,           -- the same without the rarity discount
            support INTEGER NOT NULL,              -- documents about it that use the term
            updated_at TIMESTAMP NOT NULL
        );
        CREATE TABLE artist_comentions (
            artist_idx INTEGER NOT NULL,
            other_idx INTEGER NOT NULL,            -- discussed alongside
            weight DOUBLE NOT NULL,                -- time-decayed documents mentioning both
            documents INTEGER NOT NULL
        );
        CREATE TABLE crawl_queue (
            url VARCHAR PRIMARY KEY,
            host VARCHAR NOT NULL,
            depth INTEGER NOT NULL,
            status VARCHAR NOT NULL,               -- queued | done | failed | skipped
            attempts INTEGER NOT NULL DEFAULT 0,
            reason VARCHAR,
            bytes BIGINT,
            doc_id BIGINT,
            updated_at TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        5,
        "audio model: predicted vectors of tracks from their sound, and tracks skipped with the reason",
        """
        CREATE TABLE audio_vectors (
            track_idx INTEGER NOT NULL,
            model_version VARCHAR NOT NULL,        -- the audio model (HOME/models/audio/VERSION)
            status VARCHAR NOT NULL,               -- ok | failed (unreadable, missing or corrupt audio)
            reason VARCHAR,                        -- why it failed
            path VARCHAR,                          -- the audio file read
            content_sha256 VARCHAR,
            short BOOLEAN,                         -- shorter than the excerpt: padded
            vector FLOAT[],                        -- the predicted collaborative vector
            embedding FLOAT[],                     -- the network's penultimate layer
            computed_at TIMESTAMP NOT NULL,
            PRIMARY KEY (track_idx, model_version)
        );
        """,
    ),
    (
        6,
        "ingested files keep their size and lines (a file that grew is recognised); ids' original spellings",
        """
        ALTER TABLE ingested_files ADD COLUMN bytes BIGINT;    -- size when ingested (NULL: not recorded)
        ALTER TABLE ingested_files ADD COLUMN lines BIGINT;    -- line breaks in those bytes
        CREATE TABLE id_spellings (            -- ids as a file spelled them, where normalising changed them
            kind VARCHAR NOT NULL,             -- user | track | artist
            id VARCHAR NOT NULL,               -- the id as stored (NFC, no zero-width characters)
            spelling VARCHAR NOT NULL,         -- as the file had it
            file_id INTEGER NOT NULL           -- the first file with that spelling
        );
        """,
    ),
    (
        7,
        "dislikes (a listener's thumbs-down) are a signal of their own",
        """
        ALTER TABLE interactions ADD COLUMN dislikes BIGINT DEFAULT 0;
        DELETE FROM meta WHERE key = 'interactions_source';   -- recomputed with the new column
        """,
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
