"""The typer layer: parse options, call a plain function, render its result. No decisions here."""
