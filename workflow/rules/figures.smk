# Draw the figures (matplotlib, PNG) from the tables.

FIGURES = [f"reports/figures/{name}.png" for name in figure_names(config)]


rule figures:
    input:
        code=code("figures"),
        tables=SUMMARY_TABLES,
        rounds=ROUNDS_TABLE,
        large=LARGE_TABLES,
    output:
        FIGURES,
    log:
        "logs/figures.log",
    shell:
        f"{CLI} figures --tables reports/tables --rounds-table {{input.rounds}}"
        " --outdir reports/figures > {log} 2>&1"
