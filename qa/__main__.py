try:
    from .front.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python was still starting: the same exit code as later
    import sys

    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None

main()
