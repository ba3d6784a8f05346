# The reproduction check: `snakemake --cores 4 reproduce`. A rule without outputs always
# runs when asked for; it regenerates the metrics in results/reproduce/ from scratch and
# compares them with the committed reference in reports/reference/, a folder no job
# writes (`make reference` makes it): in the same-kind tier where the kernels are the
# reference's, in the another-kind tier elsewhere (backprop_lab.reference).


rule reproduce:
    log:
        "logs/reproduce.log",
    conda:
        "../../environment.yml"
    threads: 4  # Snakemake caps it at --cores
    shell:
        f"{CLI} reproduce --reference {REFERENCE} --workdir results/reproduce"
        " --cores {threads} 2>&1 | tee {log}; exit ${{PIPESTATUS[0]}}"
