// Package demo seeds an empty database with demo companies and products, so
// that the local runner starts with a catalog to browse.
package demo

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Company is a demo company with its products.
type Company struct {
	Name     string
	Products []Product
}

// Product is a demo product; Price is a decimal string.
type Product struct {
	Name, Description, Price string
}

// Companies is the demo catalog: three local companies, 24 products.
var Companies = []Company{
	{Name: "Padaria Sol", Products: []Product{
		{"Sourdough loaf", "Naturally leavened, baked this morning.", "6.50"},
		{"Pão de queijo (6)", "Cheese bread rolls, gluten free.", "4.20"},
		{"Croissant", "All-butter, laminated by hand.", "2.75"},
		{"Cinnamon roll", "With cream cheese icing.", "3.10"},
		{"Baguette", "Crisp crust, open crumb.", "2.40"},
		{"Carrot cake slice", "With chocolate topping.", "3.95"},
		{"Rye sandwich bread", "Sliced, 750 g.", "5.80"},
		{"Espresso beans 250 g", "Medium roast from Minas Gerais.", "9.90"},
	}},
	{Name: "Green Basket Grocers", Products: []Product{
		{"Organic bananas (1 kg)", "Fair trade.", "2.19"},
		{"Avocados (3)", "Ready to eat.", "4.49"},
		{"Cherry tomatoes 500 g", "Vine ripened.", "3.29"},
		{"Free-range eggs (12)", "Large, from a farm 20 km away.", "5.99"},
		{"Whole milk 1 l", "Pasteurised, not homogenised.", "1.49"},
		{"Greek yoghurt 500 g", "Plain, 10% fat.", "3.79"},
		{"Baby spinach 200 g", "Washed and ready.", "2.59"},
		{"Lemons (4)", "Unwaxed.", "1.99"},
	}},
	{Name: "Casa Nonna Kitchen", Products: []Product{
		{"Lasagna for two", "Beef ragù, béchamel, parmesan.", "18.50"},
		{"Margherita pizza", "San Marzano tomato, fior di latte.", "11.00"},
		{"Fresh tagliatelle 400 g", "Egg pasta, cut today.", "6.25"},
		{"Pesto genovese 180 g", "Basil, pine nuts, pecorino.", "5.40"},
		{"Tiramisu", "Mascarpone, espresso, cocoa.", "6.90"},
		{"Minestrone 1 l", "Seasonal vegetables, borlotti beans.", "7.30"},
		{"Focaccia", "Rosemary and sea salt.", "4.80"},
		{"Cannoli (3)", "Ricotta and candied orange.", "8.10"},
	}},
}

// SeedIfEmpty inserts Companies when the database has no company yet, and
// reports whether it did. It runs in one transaction: all or nothing.
func SeedIfEmpty(ctx context.Context, db *sqlx.DB) (bool, error) {
	var n int
	if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM companies`); err != nil {
		return false, fmt.Errorf("demo: count companies: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	defer tx.Rollback()
	for _, c := range Companies {
		res, err := tx.ExecContext(ctx, `INSERT INTO companies (name) VALUES (?)`, c.Name)
		if err != nil {
			return false, fmt.Errorf("demo: insert company: %w", err)
		}
		companyID, err := res.LastInsertId()
		if err != nil {
			return false, fmt.Errorf("demo: %w", err)
		}
		for _, p := range c.Products {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO products (company_id, name, description, price) VALUES (?, ?, ?, ?)`,
				companyID, p.Name, p.Description, p.Price); err != nil {
				return false, fmt.Errorf("demo: insert product: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("demo: commit: %w", err)
	}
	return true, nil
}
