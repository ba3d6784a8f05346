# Per lab: draw its figures (matplotlib, PNG) from its tables. Labs draw in parallel.

FIGURES = [path for lab in LABS for path in figure_files(lab)]


def caption(lab, figure):
    """The figure's caption in the lab's folder, relative to this rule file."""
    path = (
        Path(SRC)
        / "backprop_lab"
        / "labs"
        / lab.name
        / "captions"
        / f"{figure.kind}.rst"
    )
    return os.path.relpath(path, Path(workflow.basedir) / "workflow" / "rules")


for _lab in LABS:

    rule:
        name:
            f"figures_{_lab.name}"
        input:
            code=code("figures", [_lab.name]),
            tables=summary_tables(_lab),
            large=large_tables(_lab),
        output:
            # marked for Snakemake's own report: a caption, a category per lab, labels
            [
                report(
                    f"reports/figures/{figure.name}.png",
                    caption=caption(_lab, figure),
                    category=_lab.title,
                    labels={"figure": figure.kind, "axis": figure.axis},
                )
                for figure in _lab.figures(config[_lab.name])
            ],
        log:
            f"logs/figures/{_lab.name}.log",
        benchmark:
            f"benchmarks/figures/{_lab.name}.tsv"
        priority: AFTER_TRAINING
        conda:
            "../../environment.yml"
        params:
            lab=_lab.name,
        shell:
            f"{CLI} figures --lab {{params.lab}} --tables reports/tables --large results/tables"
            " --outdir reports/figures > {log} 2>&1"
