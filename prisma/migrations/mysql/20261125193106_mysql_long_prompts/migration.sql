-- MySQL only (the other databases have no length limit here): a system prompt or a
-- glasses persona of up to 50,000 / 20,000 characters can exceed TEXT's 64 KB in UTF-8
-- (4 bytes per character at worst). `// huge-text` in the schema maps them to MEDIUMTEXT.

-- AlterTable
ALTER TABLE `AiModel` MODIFY `systemPrompt` MEDIUMTEXT NOT NULL DEFAULT ('');

-- AlterTable
ALTER TABLE `GlassesSettings` MODIFY `persona` MEDIUMTEXT NOT NULL DEFAULT ('');
