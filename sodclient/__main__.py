from sodclient.cli import main

raise SystemExit(main())
