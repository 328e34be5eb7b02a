"""Reading articles in: files, pages and URLs made into `Article`s with numbered paragraphs and
their metadata (documents, loaders, fetch), the dates they mention (dates), copies of other outlets'
paragraphs (wire), who is quoted saying what (attribution, names), and the paragraphs' vectors
(embeddings, the model also used for questions). Imports only qa.errors, qa.config and qa.jsonout:
nothing here knows of an index, a search or an answer."""
