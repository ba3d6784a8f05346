# One job per variant: train it (all its seeds at once) and write its run file.


rule train:
    input:
        settings=lambda w: settings_file(f"{w.lab}/{w.axis}/{w.variant}"),
        code=lambda w: code("train", [w.lab]),
    output:
        "results/runs/{lab}/{axis}/{variant}.json",
    log:
        "logs/train/{lab}/{axis}/{variant}.log",
    benchmark:
        "benchmarks/train/{lab}/{axis}/{variant}.tsv"
    priority: train_priority
    conda:
        "../../environment.yml"
    threads: 1
    params:
        settings=settings_of,
    shell:
        f"{THREADS_ENV} {CLI} train --settings {{input.settings}} --output {{output}} > {{log}} 2>&1"
