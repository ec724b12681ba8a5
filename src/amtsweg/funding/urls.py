
app_name = "funding"
urlpatterns: list = []
