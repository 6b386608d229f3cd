from arxiv_kg.cli import main

main()
