"""The receiver's HTTP routes: module-level routers whose dependencies read `app.state`.

`receiver.app.create_app` builds the state and includes these routers; each route takes what
it needs through `deps` (so a test can swap a piece with `app.dependency_overrides`) and never
imports the store: it reaches data through the core's services.
"""
