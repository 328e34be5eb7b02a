try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while Python was still starting: the same exit code as later
    raise SystemExit(130) from None

main()
