"""The receiver's HTTP routes: thin module-level routers whose typed dependencies live in `deps`.

`receiver.app.create_app` builds the services and includes these routers; each route takes what
it needs through `deps` (so a test can swap a piece with `app.dependency_overrides`), every page
route renders through `page_kit`, and no route imports the store: it reaches data through the
core's services.
"""
