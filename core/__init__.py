"""Shared plumbing every app uses: errors, enqueueing, rate limits, uploads, protected media, HTTP helpers and
the page/API kit. Depends on no app of the project."""
