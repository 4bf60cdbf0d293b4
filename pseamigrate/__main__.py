from pseamigrate.cli import main

main()
