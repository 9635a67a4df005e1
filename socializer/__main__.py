from socializer.cli import main

main()
