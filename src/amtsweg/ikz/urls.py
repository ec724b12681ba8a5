
app_name = "ikz"
urlpatterns: list = []
