
app_name = "ikz_staff"
urlpatterns: list = []
