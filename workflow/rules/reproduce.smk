# The reproduction check: `snakemake --cores 4 reproduce`. A rule without outputs always
# runs when asked for; it regenerates the metrics in results/reproduce/ from scratch and
# compares them with the committed reference in reports/tables/ (deliberately not an
# input: Snakemake must never regenerate the reference it checks against).


rule reproduce:
    log:
        "logs/reproduce.log",
    conda:
        "../../environment.yml"
    threads: 4  # Snakemake caps it at --cores
    shell:
        f"{CLI} reproduce --reference reports/tables --workdir results/reproduce"
        " --cores {threads} 2>&1 | tee {log}; exit ${{PIPESTATUS[0]}}"
