"""``python -m tastemaker``, and the script a cluster's ``spark-submit`` runs (docs/spark.md)."""

if __package__:
    from .launch import main
else:                                  # run as a file: spark-submit …/tastemaker/__main__.py ARGS
    from tastemaker.launch import main

main()
