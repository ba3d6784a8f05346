# Draw the figures (matplotlib, PNG) from the tables.

FIGURES = [f"reports/figures/{name}.png" for name in figure_names(config)]

FIGURE_LABELS = [figure_labels(name) for name in figure_names(config)]


rule figures:
    input:
        code=code("figures"),
        tables=SUMMARY_TABLES,
        rounds=ROUNDS_TABLE,
        large=LARGE_TABLES,
    output:
        # marked for Snakemake's own report: a caption, a category per suite, labels
        [
            report(
                path,
                caption=f"../report/{labels['kind']}.rst",
                category=labels["category"],
                labels={"figure": labels["kind"], "axis": labels["axis"]},
            )
            for path, labels in zip(FIGURES, FIGURE_LABELS)
        ],
    conda:
        "../../environment.yml"
    log:
        "logs/figures.log",
    shell:
        f"{CLI} figures --tables reports/tables --rounds-table {{input.rounds}}"
        " --outdir reports/figures > {log} 2>&1"
