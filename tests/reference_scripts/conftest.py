"""The scripts here write reference files with packages radfuse does not depend on
(neuroCombat); they are run by hand, never imported by the test run."""

collect_ignore_glob = ["combat_*.py"]
