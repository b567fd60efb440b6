"""The typer layer: parse options, call one ``optctl.commands`` function, hand its result to
``optctl.render``, exit with the result's code. No decisions here.

May import: everything (it is the top layer). ``app.main`` is the single error handler.
"""
