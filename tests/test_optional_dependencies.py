"""Everything but image extraction works without PyRadiomics and SimpleITK."""

import subprocess
import sys
import textwrap

BLOCK_IMAGING_LIBRARIES = textwrap.dedent(
    """
    import sys

    class BlockImaging:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"radiomics", "SimpleITK"}:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, BlockImaging())
    """
)


def run_without_imaging(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_IMAGING_LIBRARIES + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_feature_table_users_never_import_pyradiomics():
    result = run_without_imaging(
        """
        import radfuse, radfuse.select, radfuse.stats, radfuse.models, radfuse.pipeline
        import radfuse.blocks, radfuse.fusion, radfuse.datasets, radfuse.study
        import radfuse.persistence, radfuse.cli, radfuse.extract
        from radfuse.datasets import load_wdbc_blocks
        from radfuse.pipeline import make_radiomics_pipeline
        X, y = load_wdbc_blocks(return_X_y=True)
        model = make_radiomics_pipeline("lr", mrmr={"n_features": 5}, lasso={"cv": 3},
                                        random_state=0).fit(X, y)
        print("fitted", model.predict_proba(X).shape)
        assert "radiomics" not in sys.modules and "SimpleITK" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr
    assert "fitted (569, 2)" in result.stdout


def test_extraction_without_pyradiomics_says_how_to_install():
    result = run_without_imaging(
        """
        import pandas as pd
        from radfuse.extract import extract_features
        manifest = pd.DataFrame({"case_id": ["c1"], "block": ["US"],
                                 "image": ["img.nrrd"], "mask": ["mask.nrrd"]})
        extract_features(manifest)
        """
    )
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "radfuse[extract]" in result.stderr
    assert "--no-build-isolation" in result.stderr
