# Reference outputs of R's sva::ComBat for radfuse's ComBat tests.
#
# Input: tests/data/combat_input.csv and combat_input_edge.csv (made by
# tests/reference_scripts/combat_make_data.py). Output: one CSV per variant in
# tests/data/, the harmonised features (cases in rows, as in the input), written
# with 17 significant digits. Run from the repository root:
#   Rscript tests/r/combat_sva.R
# Made with R 4.2 and sva 3.46 (Debian r-bioc-sva).
suppressPackageStartupMessages(library(sva))

write_exact <- function(values, path) {
  out <- apply(values, 2, function(column) sprintf("%.17g", column))
  out <- matrix(out, nrow = nrow(values), dimnames = list(NULL, colnames(values)))
  write.csv(out, path, row.names = FALSE, quote = FALSE)
}

harmonise <- function(table, covariates, par.prior, mean.only) {
  features <- grep("^f[0-9]+$", colnames(table), value = TRUE)
  dat <- t(as.matrix(table[, features]))
  mod <- if (covariates) model.matrix(~ age + sex, data = table) else NULL
  adjusted <- suppressMessages(ComBat(dat, batch = table$site, mod = mod,
                                      par.prior = par.prior, mean.only = mean.only))
  t(adjusted)
}

input <- read.csv("tests/data/combat_input.csv", stringsAsFactors = FALSE)
edge <- read.csv("tests/data/combat_input_edge.csv", stringsAsFactors = FALSE)
variants <- list(
  par = list(input, TRUE, TRUE, FALSE),
  nonpar = list(input, TRUE, FALSE, FALSE),
  par_meanonly = list(input, TRUE, TRUE, TRUE),
  nonpar_meanonly = list(input, TRUE, FALSE, TRUE),
  par_nocov = list(input, FALSE, TRUE, FALSE),
  edge_par = list(edge, TRUE, TRUE, FALSE),
  edge_nonpar = list(edge, TRUE, FALSE, FALSE)
)
for (name in names(variants)) {
  v <- variants[[name]]
  write_exact(harmonise(v[[1]], v[[2]], v[[3]], v[[4]]),
              file.path("tests/data", paste0("combat_sva_", name, ".csv")))
}
cat("sva", as.character(packageVersion("sva")), "\n")
