using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using VfioPS.Docs.Examples;

namespace VfioPS.Docs;

/// <summary>
/// vfiops-docs maml [--check]             writes en-US/VfioPS.dll-Help.xml from docs/ (or checks it is current)
/// vfiops-docs examples [--real] [--runner DLL] [--parallel N]
///                                         runs the examples of docs/ marked for the mock (default) or for real
///                                         devices, each in a fresh vfiops-run, and compares their output
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            // The repository this program was built in, or the one the current directory is in.
            string root = HelpSet.FindRoot(Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
            var help = HelpSet.Load(root);
            switch (args.FirstOrDefault())
            {
                case "maml": return Maml(help, args.Contains("--check"));
                case "examples": return await ExamplesAsync(help, args);
                default:
                    Console.Error.WriteLine("usage: vfiops-docs maml [--check] | examples [--real] [--runner <vfiops-run.dll>] [--parallel <n>]");
                    return 2;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("vfiops-docs: " + e.Message);
            return 2;
        }
    }

    private static int Maml(HelpSet help, bool check)
    {
        foreach (var command in help.Commands)
            foreach (string error in command.Errors)
                Console.Error.WriteLine($"{Path.GetRelativePath(help.Root, command.Path)}: {error}");
        if (help.Commands.Any(c => c.Errors.Count > 0)) return 1;
        string maml = help.GenerateMaml();
        string relative = Path.GetRelativePath(help.Root, help.MamlPath);
        if (check)
        {
            bool current = File.Exists(help.MamlPath) && File.ReadAllText(help.MamlPath) == maml;
            Console.WriteLine(current ? $"{relative} matches docs/." : $"{relative} is out of date: run `dotnet run --project VfioPS.Docs -- maml`.");
            return current ? 0 : 1;
        }
        File.WriteAllText(help.MamlPath, maml, new System.Text.UTF8Encoding(false));
        Console.WriteLine($"{relative}: {help.Commands.Count} commands from docs/.");
        return 0;
    }

    private static async Task<int> ExamplesAsync(HelpSet help, string[] args)
    {
        bool real = args.Contains("--real");
        string runner = Option(args, "--runner") ?? ExampleRunner.RunnerBesideThisBuild(help.Root);
        if (!File.Exists(runner))
        {
            Console.Error.WriteLine($"vfiops-docs: the runner {runner} does not exist (build VfioPS.Runner, or pass --runner).");
            return 2;
        }
        int parallel = int.TryParse(Option(args, "--parallel"), out int n) ? n : Environment.ProcessorCount;
        var lane = real ? ExampleLane.RealDevice : ExampleLane.Mock;
        var examples = help.Examples.Where(e => e.Lane == lane).ToList();
        var runs = await new ExampleRunner(runner, help.Root).RunAllAsync(examples, parallel);
        int failed = 0;
        foreach (var run in runs)
        {
            string? failure = run.Failure;
            if (failure is null) Console.WriteLine($"ok    {run.Example.Id}: {run.Example.Title}");
            else { failed++; Console.WriteLine($"FAIL  {failure}"); }
        }
        Console.WriteLine($"{(real ? "kernel lane docs" : "docs examples")}: {runs.Count - failed} passed, {failed} failed");
        return failed == 0 && runs.Count > 0 ? 0 : 1;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
