# backprop-lab: one job per experiment variant, then tables -> figures -> report.
# The wiring lives in workflow/rules; the computing in src/backprop_lab; wording in its templates.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/reproduce.smk"


onsuccess:
    print_report_paths()


# Every file the pipeline delivers, not the report alone: a deleted run file, table or
# figure is brought back by the next plain run (Snakemake regenerates a missing file only
# where a target needs it; below an up-to-date report it would not).
rule all:
    default_target: True
    input:
        REPORT_OUTPUTS,
        SUMMARY_TABLES,
        LARGE_TABLES,
        FIGURES,
        [run_file(r) for r in EXPERIMENTS],
