from repaircenter.cli import main

main()
