
app_name = "ikz_library"
urlpatterns: list = []
