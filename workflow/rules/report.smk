# Render the lab report: Markdown, and the same text as self-contained HTML.

REPORT_OUTPUTS = ["reports/report.md", "reports/report.html"]


rule report:
    input:
        settings=REPORT_SETTINGS,
        code=code("report", [lab.name for lab in LABS]),
        tables=SUMMARY_TABLES,
        figures=FIGURES,
        benchmarks=[f"benchmarks/train/{r}.tsv" for r in EXPERIMENTS],
    output:
        markdown=REPORT_OUTPUTS[0],
        html=REPORT_OUTPUTS[1],
    log:
        "logs/report.log",
    conda:
        "../../environment.yml"
    params:
        settings=report_params(config),
    shell:
        f"{CLI} report --settings {{input.settings}} --tables reports/tables"
        " --figures reports/figures --markdown {output.markdown} --html {output.html}"
        " --benchmarks {input.benchmarks} > {log} 2>&1"
