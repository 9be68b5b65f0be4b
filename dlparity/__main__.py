from dlparity.cli.main import main

raise SystemExit(main())
