# One job per variant: train it (all its seeds at once) and write its run file. With
# `seed_jobs: true` each seed of a seeded variant trains in a job of its own (train_seed),
# and the variant's job only stacks their results into its run file (the same numbers).


rule train:
    input:
        # one input function for all three (Snakemake inspects each function it calls)
        unpack(train_inputs),
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
    shell:
        f"{THREADS_ENV} {CLI} train --settings {{input.settings}} --output {{output}}"
        " --seed-runs {input.seed_runs} > {log} 2>&1"


rule train_seed:
    input:
        unpack(seed_inputs),
    output:
        "results/seeds/{lab}/{axis}/{variant}/seed-{seed}.json",
    log:
        "logs/train_seed/{lab}/{axis}/{variant}/seed-{seed}.log",
    benchmark:
        "benchmarks/train_seed/{lab}/{axis}/{variant}/seed-{seed}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    priority: seed_priority
    conda:
        "../../environment.yml"
    threads: 1
    shell:
        f"{THREADS_ENV} {CLI} train --settings {{input.settings}} --output {{output}} > {{log}} 2>&1"
