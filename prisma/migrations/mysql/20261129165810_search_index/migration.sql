-- Written by hand. Full-text search over message text and chat titles (server/src/search/):
-- InnoDB FULLTEXT indexes (MySQL 8 / MariaDB 10.6+). Words shorter than
-- innodb_ft_min_token_size (3 by default) are not indexed; the search leaves them out.

ALTER TABLE `Message` ADD FULLTEXT INDEX `Message_content_search_idx` (`content`);
ALTER TABLE `Chat` ADD FULLTEXT INDEX `Chat_title_search_idx` (`title`);
