"""Phase diagram: files written, order parameter consistent, speeds ordered as the theory says."""

from __future__ import annotations

import json

import numpy as np

from quantgeo.evolution import phases


def test_phase_diagram_small(tmp_path):
    png, js = tmp_path / "phases.png", tmp_path / "phases.json"
    d = phases(
        eps_zeta=[1e-10, 1.0, 1e6], max_steps=400, spectrum_size=4000, figure=png, json_path=js
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(js.read_text())
    assert data["eps_zeta"] == [1e-10, 1.0, 1e6]
    assert set(data["summary"]) == {"sum", "product", "reference_iterations"}
    for law in ("sum", "product"):
        f, fs = d.f_half[law], d.f_half_sampled[law]
        # the sampled fraction is a binomial estimate of the analytic one
        assert np.all(np.abs(fs - f) <= 4 * np.sqrt(f * (1 - f) / 4000) + 1e-12), (law, f, fs)
    # εζ = 1e-10: the window covers the whole spectrum (f_½ = 1) for both laws
    assert d.f_half["sum"][0] == 1.0 and d.f_half["product"][0] == 1.0
    # εζ ≫ 1: the product window reopens, the sum window closes
    assert d.f_half["product"][2] > 0.5 > d.f_half["sum"][2]
    ref = d.reference_iterations
    # P5: rates ∝ A^{1−a} with κ ∝ A — a = 1 fastest, a = 0 slowest
    assert ref[1.0] < ref[0.5] < ref[0.0]
    # εζ → 0 (sum law): g → √κ on the whole spectrum, the a = ½ run to within an iteration
    assert abs(d.iterations["sum"][0] - ref[0.5]) <= 1
