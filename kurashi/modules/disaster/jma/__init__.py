"""Pure parsers for JMA 防災情報XML (no Django models): hardened XML reading, version-tolerant
parsers per message type, the 警戒レベル table, area resolution to Saga's 20 municipalities, and the
Atom feed parser. Services import these; nothing here touches the database."""
