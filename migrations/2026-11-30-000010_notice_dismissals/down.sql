DROP TABLE notice_dismissals;
