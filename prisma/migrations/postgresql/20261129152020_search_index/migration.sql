-- Full-text search over message text and chat titles (server/src/search/): GIN indexes
-- on expressions, so no column is added (the Prisma schema stays as it is). The 'simple'
-- configuration does not stem: chats are in any language. Text past 100,000 characters is
-- not indexed (a tsvector holds at most 1 MB). Replies are indexed once they stop STREAMING,
-- so checkpoints do not touch the index. server/src/search/ queries these exact expressions.

CREATE INDEX "Message_content_search_idx" ON "Message" USING GIN (to_tsvector('simple'::regconfig, left("content", 100000))) WHERE "status" <> 'STREAMING';
CREATE INDEX "Chat_title_search_idx" ON "Chat" USING GIN (to_tsvector('simple'::regconfig, "title"));
