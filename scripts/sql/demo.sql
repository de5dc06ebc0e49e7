-- Demo data for Drawbridge: a shop and an HR database that look real.
-- Deterministic (no RAND()), so every machine gets the same rows.
-- Rerunnable: drops and recreates both databases. Needs MariaDB's SEQUENCE engine.
SET NAMES utf8mb4;

DROP DATABASE IF EXISTS shop;
CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE shop;

CREATE TABLE customers (
  id          INT UNSIGNED PRIMARY KEY,
  first_name  VARCHAR(60)  NOT NULL,
  last_name   VARCHAR(60)  NOT NULL,
  email       VARCHAR(190) NOT NULL UNIQUE,
  phone       VARCHAR(30)  NULL,
  country     CHAR(2)      NOT NULL,
  created_at  DATETIME     NOT NULL,
  preferences JSON         NULL
) ENGINE=InnoDB;

CREATE TABLE products (
  id          INT UNSIGNED PRIMARY KEY,
  sku         VARCHAR(20)   NOT NULL UNIQUE,
  name        VARCHAR(120)  NOT NULL,
  category    VARCHAR(40)   NOT NULL,
  price       DECIMAL(10,2) NOT NULL,
  weight_kg   DOUBLE        NULL,
  active      TINYINT(1)    NOT NULL DEFAULT 1
) ENGINE=InnoDB;

CREATE TABLE orders (
  id           INT UNSIGNED PRIMARY KEY,
  customer_id  INT UNSIGNED  NOT NULL,
  status       ENUM('pending','paid','shipped','delivered','cancelled') NOT NULL,
  ordered_at   DATETIME      NOT NULL,
  shipped_at   DATETIME      NULL,
  total        DECIMAL(12,2) NOT NULL DEFAULT 0,
  currency     CHAR(3)       NOT NULL,
  shipping     JSON          NOT NULL,
  note         TEXT          NULL,
  KEY orders_customer (customer_id),
  KEY orders_ordered_at (ordered_at),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;

CREATE TABLE order_items (
  order_id    INT UNSIGNED  NOT NULL,
  line_no     TINYINT UNSIGNED NOT NULL,
  product_id  INT UNSIGNED  NOT NULL,
  quantity    SMALLINT UNSIGNED NOT NULL,
  unit_price  DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line_no),
  KEY order_items_product (product_id),
  CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT order_items_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;

INSERT INTO customers
SELECT seq,
       ELT(1 + seq % 24, 'Ana María', 'José', 'Zoë', 'Łukasz', 'Søren', 'Ingrid', '美咲', 'Дмитрий',
           'Αλέξης', 'İbrahim', 'Chloé', 'Björn', 'Nguyễn', 'Siobhán', 'Priya', 'Olúwaseun',
           'Mateo', 'Emma', 'Noah', 'Hana', 'Jürgen', 'Amélie', 'Radu', 'محمد'),
       ELT(1 + (seq * 7) % 20, 'García', 'Müller', 'Kowalski', 'Øster', 'Dubois', 'Nakamura',
           'Иванов', 'Papadopoulos', 'Yılmaz', 'O''Brien', 'Sharma', 'Adeyemi', 'Silva',
           'Nguyen', 'Smith', 'Lindqvist', 'Novák', 'Rossi', 'Tanaka', 'Fernández'),
       CONCAT('customer', seq, '@example.com'),
       IF(seq % 5 = 0, NULL, CONCAT('+', 30 + seq % 60, ' ', LPAD(seq * 7919 % 1000000000, 9, '0'))),
       ELT(1 + seq % 10, 'ES', 'DE', 'PL', 'DK', 'FR', 'JP', 'UA', 'GR', 'TR', 'GB'),
       '2021-01-01 08:00:00' + INTERVAL (seq * 37) % 1300 DAY + INTERVAL (seq * 113) % 86400 SECOND,
       IF(seq % 4 = 0, NULL,
          JSON_OBJECT('newsletter', seq % 3 = 0, 'language', ELT(1 + seq % 4, 'en', 'es', 'de', 'ja'),
                      'tags', JSON_ARRAY(ELT(1 + seq % 3, 'vip', 'new', 'wholesale'))))
FROM seq_1_to_2500;

INSERT INTO products
SELECT seq,
       CONCAT('SKU-', LPAD(seq, 5, '0')),
       CONCAT(ELT(1 + seq % 8, 'Ergonomic', 'Rustic', 'Handmade', 'Sleek', 'Intelligent', 'Gorgeous',
                  'Practical', 'Café'),
              ' ',
              ELT(1 + (seq * 3) % 10, 'Chair', 'Lamp', 'Kettle', 'Notebook', 'Backpack', 'Mug',
                  'Keyboard', 'Jacket', 'Teapot', 'Bicycle bell')),
       ELT(1 + seq % 5, 'furniture', 'kitchen', 'office', 'outdoor', 'apparel'),
       ROUND(2.5 + (seq * 7919) % 49900 / 100, 2),
       IF(seq % 7 = 0, NULL, ROUND(0.1 + (seq * 31) % 2000 / 100, 3)),
       seq % 17 <> 0
FROM seq_1_to_400;

INSERT INTO orders (id, customer_id, status, ordered_at, shipped_at, currency, shipping, note)
SELECT seq,
       1 + (seq * 7919) % 2500,
       ELT(1 + seq % 5, 'pending', 'paid', 'shipped', 'delivered', 'cancelled'),
       '2022-01-01 00:00:00' + INTERVAL (seq * 61) % 1400 DAY + INTERVAL (seq * 997) % 86400 SECOND,
       NULL,
       ELT(1 + seq % 3, 'EUR', 'USD', 'GBP'),
       JSON_OBJECT('method', ELT(1 + seq % 3, 'standard', 'express', 'pickup'),
                   'address', JSON_OBJECT('city', ELT(1 + seq % 6, 'Madrid', 'Berlin', 'Kraków',
                                                     'København', 'Tōkyō', 'Αθήνα'),
                                          'postcode', LPAD(seq % 99999, 5, '0')),
                   'gift', seq % 11 = 0),
       IF(seq % 9 = 0, CONCAT('Please ring twice — order #', seq), NULL)
FROM seq_1_to_12000;

UPDATE orders
SET shipped_at = ordered_at + INTERVAL 1 + id % 5 DAY + INTERVAL id % 3600 SECOND
WHERE status IN ('shipped', 'delivered');

INSERT INTO order_items
SELECT o.seq, l.seq, 1 + (o.seq * 13 + l.seq * 101) % 400, 1 + (o.seq + l.seq) % 4, 0
FROM seq_1_to_12000 o JOIN seq_1_to_4 l ON l.seq <= 1 + o.seq % 4;

UPDATE order_items i JOIN products p ON p.id = i.product_id SET i.unit_price = p.price;

UPDATE orders o
JOIN (SELECT order_id, SUM(quantity * unit_price) AS total FROM order_items GROUP BY order_id) t
  ON t.order_id = o.id
SET o.total = t.total;

CREATE TABLE _drawbridge_demo (version INT NOT NULL);
INSERT INTO _drawbridge_demo VALUES (3);

DROP DATABASE IF EXISTS hr;
CREATE DATABASE hr CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE hr;

CREATE TABLE employees (
  id          INT UNSIGNED PRIMARY KEY,
  full_name   VARCHAR(120) NOT NULL,
  email       VARCHAR(190) NOT NULL UNIQUE,
  department  VARCHAR(40)  NOT NULL,
  title       VARCHAR(80)  NOT NULL,
  manager_id  INT UNSIGNED NULL,
  hired_on    DATE         NOT NULL,
  left_on     DATE         NULL,
  KEY employees_manager (manager_id)
) ENGINE=InnoDB;

CREATE TABLE salaries (
  employee_id INT UNSIGNED  NOT NULL,
  from_date   DATE          NOT NULL,
  to_date     DATE          NULL,
  amount      DECIMAL(12,2) NOT NULL,
  currency    CHAR(3)       NOT NULL,
  PRIMARY KEY (employee_id, from_date),
  CONSTRAINT salaries_employee_fk FOREIGN KEY (employee_id) REFERENCES employees (id)
) ENGINE=InnoDB;

INSERT INTO employees
SELECT seq,
       CONCAT(ELT(1 + seq % 12, 'Åsa', 'Kenji', 'Fatima', 'Pierre', 'Małgorzata', 'Oğuz', 'Lena',
                  'Rahul', 'Chioma', 'Sven', 'Ιωάννα', 'Tomás'),
              ' ',
              ELT(1 + (seq * 5) % 10, 'Lindgren', 'Sato', 'Haddad', 'Lefèvre', 'Wiśniewska',
                  'Şahin', 'Schmidt', 'Iyer', 'Okafor', 'Ferreira')),
       CONCAT('emp', seq, '@corp.example'),
       ELT(1 + seq % 6, 'Engineering', 'Sales', 'Finance', 'People', 'Support', 'Legal'),
       ELT(1 + seq % 5, 'Engineer', 'Senior Engineer', 'Manager', 'Analyst', 'Director'),
       IF(seq <= 6, NULL, 1 + seq % 6),
       '2015-03-01' + INTERVAL (seq * 43) % 3500 DAY,
       IF(seq % 13 = 0, '2024-06-30' - INTERVAL seq % 300 DAY, NULL)
FROM seq_1_to_300;

INSERT INTO salaries
SELECT e.id,
       e.hired_on + INTERVAL (y.seq - 1) YEAR,
       IF(y.seq < 3, e.hired_on + INTERVAL y.seq YEAR - INTERVAL 1 DAY, NULL),
       ROUND(38000 + (e.id * 7919) % 90000 + (y.seq - 1) * 2500, 2),
       'EUR'
FROM employees e JOIN seq_1_to_3 y;
