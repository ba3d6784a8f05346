# One job per variant: train it (all its seeds at once) and write its run file.


rule train:
    input:
        settings="results/settings/{suite}/{axis}/{variant}.json",
        code=code("train"),
    output:
        "results/runs/{suite}/{axis}/{variant}.json",
    params:
        settings=settings_of,
    conda:
        "../../environment.yml"
    log:
        "logs/train/{suite}/{axis}/{variant}.log",
    benchmark:
        "benchmarks/train/{suite}/{axis}/{variant}.tsv"
    threads: 1
    shell:
        f"{THREADS_ENV} {CLI} train --settings {{input.settings}} --output {{output}} > {{log}} 2>&1"
