"""办件 API: the applicant's part (api_applicant), the staff workbench (api_workbench) and the
figures and XES export (api_figures), each its own router under /api/v1/cases."""

from __future__ import annotations

from yiwang.cases.api_applicant import router as applicant_router
from yiwang.cases.api_figures import router as figures_router
from yiwang.cases.api_workbench import router as workbench_router

# The applicant router is the root itself: a child mounted at "" would serve /api/v1/cases/ (with a
# slash) and the contract is POST/GET /api/v1/cases.
router = applicant_router
router.tags = ["一网通办办件"]
router.add_router("/workbench", workbench_router)
router.add_router("/figures", figures_router)
