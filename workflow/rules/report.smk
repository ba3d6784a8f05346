# Render the lab report: Markdown, and the same text as self-contained HTML.

REPORT_OUTPUTS = ["reports/report.md", "reports/report.html"]
# the committed reference (make reference): the report says where it was made and what
# moved since; an input where it exists, so that a new reference renders again
REFERENCE = "reports/reference"
REFERENCE_FILES = [
    str(p)
    for p in sorted(Path(REFERENCE).glob("**/*"))
    if p.is_file() and not p.name.startswith(".")
]


rule report:
    input:
        settings=REPORT_SETTINGS,
        code=code("report", [lab.name for lab in LABS]),
        tables=SUMMARY_TABLES,
        figures=FIGURES,
        reference=REFERENCE_FILES,
        # `make bench`'s results: an appendix of the report where they exist
        benchmark=[p for p in ["reports/benchmark.md"] if Path(p).exists()],
    output:
        markdown=REPORT_OUTPUTS[0],
        html=REPORT_OUTPUTS[1],
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../environment.yml"
    shell:
        f"{CLI} report --settings {{input.settings}} --tables reports/tables"
        f" --figures reports/figures --reference {REFERENCE}"
        " --markdown {output.markdown} --html {output.html} > {log} 2>&1"
