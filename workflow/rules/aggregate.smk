# Per lab: collect its run files into tidy pandas tables (CSV). Labs aggregate in parallel.

SUMMARY_TABLES = [path for lab in LABS for path in summary_tables(lab)]
LARGE_TABLES = [path for lab in LABS for path in large_tables(lab)]


for _lab in LABS:

    rule:
        name:
            f"aggregate_{_lab.name}"
        input:
            code=code("aggregate", [_lab.name]),
            section=section_file(_lab),
            points=POINTS_FILES[_lab.name],
            runs=lab_runs(_lab.name),
        output:
            tables=summary_tables(_lab),
            # too large for the committed reference: beside the run files
            large=large_tables(_lab),
        log:
            f"logs/aggregate/{_lab.name}.log",
        benchmark:
            f"benchmarks/aggregate/{_lab.name}.tsv"
        priority: AFTER_TRAINING
        conda:
            "../../environment.yml"
        params:
            lab=_lab.name,
        shell:
            f"{CLI} aggregate --lab {{params.lab}} --settings {{input.section}}"
            " --points {input.points} --tables reports/tables --large results/tables"
            " {input.runs} > {log} 2>&1"


# Every lab's tables, without figures or report: the reproduction check's target.
rule tables:
    input:
        SUMMARY_TABLES,
