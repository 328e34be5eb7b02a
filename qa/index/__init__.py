"""The index: what is stored and how. The values stores hand out (records); the store contract
every store keeps (store_contract: `StoreReader`, `StoreWriting`); the local store, SQLite + FAISS on
disk (schema, connection, vectors, store_base, store, store_writer); the Milvus one (milvus_client,
milvus_store, milvus_writer); opening either by its address (store_factory); filling it from files and
URLs (indexer); and what it reports about itself (reports). Imports qa.ingest and the base; code
above this package reaches a store only through the contract and the factory."""
