from yiwang.cases import urls_applicant, urls_figures, urls_workbench

app_name = "cases"
urlpatterns = [*urls_applicant.urlpatterns, *urls_workbench.urlpatterns, *urls_figures.urlpatterns]
