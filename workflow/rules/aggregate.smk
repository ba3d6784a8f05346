# Collect every run file into tidy pandas tables (CSV).

SUMMARY_TABLES = [f"reports/tables/{name}.csv" for name in tables.TABLES]
ROUNDS_TABLE = "results/tables/suite1_rounds.csv"
# written beside the rounds table: too large for the committed reference
LARGE_TABLES = [f"results/tables/{name}.csv" for name in tables.LARGE_TABLES]


rule aggregate:
    input:
        code=code("aggregate"),
        runs=[run_file(r) for r in RUNS],
    output:
        tables=SUMMARY_TABLES,
        rounds=ROUNDS_TABLE,
        large=LARGE_TABLES,
    conda:
        "../../environment.yml"
    log:
        "logs/aggregate.log",
    shell:
        f"{CLI} aggregate --tables reports/tables --rounds-table {{output.rounds}} {{input.runs}}"
        " > {log} 2>&1"
