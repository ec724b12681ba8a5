
app_name = "dashboard_staff"
urlpatterns: list = []
