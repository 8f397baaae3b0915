"""Analyses over the scheduled IR: loop nests and stages, accesses, dependences, layouts,
value origins. They read the IR and never rewrite it (argument directions live in the
frontend, their first user)."""
