from rigfit.cli import main

main()
