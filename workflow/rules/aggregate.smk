# Collect every run file into tidy pandas tables (CSV).

SUMMARY_TABLES = [f"reports/tables/{name}.csv" for name in tables.TABLES]
ROUNDS_TABLE = "results/tables/suite1_rounds.csv"


rule aggregate:
    input:
        code=code("aggregate"),
        runs=[run_file(r) for r in RUNS],
    output:
        tables=SUMMARY_TABLES,
        rounds=ROUNDS_TABLE,
    log:
        "logs/aggregate.log",
    shell:
        f"{CLI} aggregate --tables reports/tables --rounds-table {{output.rounds}} {{input.runs}}"
        " > {log} 2>&1"
