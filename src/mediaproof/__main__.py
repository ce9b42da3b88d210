from mediaproof.cli.main import main

main()
