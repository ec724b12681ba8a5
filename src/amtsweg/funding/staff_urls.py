
app_name = "funding_staff"
urlpatterns: list = []
